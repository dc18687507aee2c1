/**
 * XEP-0004 data forms, the two ways we use them: a submitted form (room configuration,
 * publish-options) and the values of a form someone else sent (XEP-0128 extended disco#info).
 */
import { xml, type Element } from '@xmpp/xml';

export const NS_DATA = 'jabber:x:data';

/** `<x type='submit'>` with FORM_TYPE first, then one single-valued field per entry. */
export function submitForm(formType: string, fields: Record<string, string>): Element {
  const field = (name: string, value: string): Element =>
    xml('field', { var: name }, xml('value', {}, value));
  return xml(
    'x',
    { xmlns: NS_DATA, type: 'submit' },
    field('FORM_TYPE', formType),
    ...Object.entries(fields).map(([name, value]) => field(name, value)),
  );
}

/** The first value of each field of the form with this FORM_TYPE among `parent`'s children. */
export function formValues(parent: Element | undefined, formType: string): Map<string, string> {
  const form = parent
    ?.getChildren('x', NS_DATA)
    .find((x) =>
      x
        .getChildren('field')
        .some((f) => f.attrs.var === 'FORM_TYPE' && f.getChildText('value') === formType),
    );
  const values = new Map<string, string>();
  for (const field of form?.getChildren('field') ?? []) {
    const value = field.getChildText('value');
    if (field.attrs.var && value !== null) values.set(field.attrs.var, value);
  }
  return values;
}
