/**
 * SASL (RFC 6120 §6) with our mechanism policy: SCRAM first (the password never leaves this
 * machine, and the server must prove it knows it), PLAIN only inside TLS, nothing else.
 */
import type { Client } from '@xmpp/client-core';
import { procedure } from '@xmpp/events';
import type { StreamFeatures } from '@xmpp/stream-features';
import { xml, type Element } from '@xmpp/xml';
import { AuthError } from '../../errors.ts';
import { SCRAM_MECHANISMS, ScramClient, pickScramMechanism } from './scram.ts';

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** Credentials for SASL. `account` is only used in messages. */
export interface SaslCredentials {
  readonly username: string;
  readonly password: string;
  readonly account: string;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8');

/** Install the SASL stream-feature handler. */
export function useSasl(features: StreamFeatures, credentials: SaslCredentials): void {
  features.use('mechanisms', NS_SASL, async (ctx, _next, element) => {
    const entity = ctx.entity as Client;
    const offered = element.getChildren('mechanism', NS_SASL).map((m) => m.text());
    const scram = pickScramMechanism(offered);
    if (scram) await authenticateScram(entity, scram, credentials);
    else if (offered.includes('PLAIN') && entity.isSecure())
      await authenticatePlain(entity, credentials);
    else {
      const list = offered.join(', ') || 'none';
      throw new AuthError(
        entity.isSecure()
          ? `the server offers no SASL mechanism we support (offered: ${list}; we support SCRAM-SHA-256, SCRAM-SHA-1, PLAIN)`
          : `the server offers only ${list} on an unencrypted connection; PLAIN would send the password in clear, so we refuse (enable TLS)`,
        { detail: { condition: 'no-acceptable-mechanism' } },
      );
    }
    await entity.restart();
  });
}

async function authenticateScram(
  entity: Client,
  mechanism: string,
  credentials: SaslCredentials,
): Promise<void> {
  const hash = SCRAM_MECHANISMS[mechanism];
  if (!hash) throw new AuthError(`unsupported SASL mechanism ${mechanism}`);
  const client = new ScramClient({
    hash,
    username: credentials.username,
    password: credentials.password,
  });
  let verified = false;
  const first = xml('auth', { xmlns: NS_SASL, mechanism }, b64(client.clientFirst()));
  await procedure(entity, first, async (element: Element, done: () => void) => {
    if (element.getNS() !== NS_SASL) return;
    if (element.name === 'challenge') {
      const text = unb64(element.text());
      // Some servers send server-final as a last challenge (RFC 6120 §6.4.5 allows both).
      if (text.startsWith('v=') || text.startsWith('e=')) {
        client.verifyServerFinal(text);
        verified = true;
        await entity.send(xml('response', { xmlns: NS_SASL }));
      } else {
        await entity.send(xml('response', { xmlns: NS_SASL }, b64(client.clientFinal(text))));
      }
      return;
    }
    if (element.name === 'failure') throw failure(element, credentials.account);
    if (element.name === 'success') {
      const text = element.text();
      if (text && text !== '=') {
        client.verifyServerFinal(unb64(text));
        verified = true;
      }
      if (!verified) {
        throw new AuthError(
          `the server for ${credentials.account} accepted the login without proving it knows the password (no SCRAM server signature); refusing it`,
          {
            detail: { condition: 'missing-server-signature' },
          },
        );
      }
      done();
    }
  });
}

async function authenticatePlain(entity: Client, credentials: SaslCredentials): Promise<void> {
  const message = `\u0000${credentials.username}\u0000${credentials.password}`;
  await procedure(
    entity,
    xml('auth', { xmlns: NS_SASL, mechanism: 'PLAIN' }, b64(message)),
    (element: Element, done: () => void) => {
      if (element.getNS() !== NS_SASL) return;
      if (element.name === 'failure') throw failure(element, credentials.account);
      if (element.name === 'success') done();
    },
  );
}

/** RFC 6120 §6.5: the failure condition (not-authorized, account-disabled, …) and its text. */
function failure(element: Element, account: string): AuthError {
  const condition = element.getChildElements().find((e) => e.name !== 'text')?.name ?? 'failure';
  const text = element.getChildText('text');
  const what =
    condition === 'not-authorized'
      ? `the server refused the password for ${account}`
      : `login as ${account} failed`;
  return new AuthError(`${what} (${condition}${text ? `: ${text}` : ''})`, {
    detail: { condition },
  });
}
