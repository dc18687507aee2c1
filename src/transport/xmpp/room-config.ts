/**
 * How mx-agent configures a room it creates (XEP-0045 §10.1, the muc#owner form): the settings
 * every workspace gets, and those `createWorkspace` adds for a public or a private one.
 */
import { xml } from '@xmpp/xml';
import type { WorkspaceSettings } from '../transport.ts';
import { submitForm } from './data-forms.ts';
import type { XmppSession } from './session.ts';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';

/** Room configuration fields (muc#roomconfig_…) and their values. */
export type RoomConfig = Record<string, string>;

/**
 * What every room we create gets, on top of the server's defaults: members see each other's
 * real addresses (whois = anyone), because agents are identified by account; and the room is
 * persistent, because a workspace is a place, not a meeting: when its last member leaves, the
 * room, its archive (a finished stream, a share) and its name must stay.
 */
export function instantRoomConfig(): RoomConfig {
  return { 'muc#roomconfig_whois': 'anyone', 'muc#roomconfig_persistentroom': '1' };
}

/**
 * `createWorkspace`'s settings: a public workspace is listed in the service's disco#items and
 * open to anyone; a private one (the default) is unlisted and members-only, so only accounts
 * with an affiliation (invited ones) may enter (§7.2.6).
 */
export function workspaceRoomConfig(room: string, settings: WorkspaceSettings): RoomConfig {
  const open = settings.public === true;
  return {
    ...instantRoomConfig(),
    'muc#roomconfig_roomname': settings.title ?? room.split('@')[0] ?? room,
    'muc#roomconfig_publicroom': open ? '1' : '0',
    'muc#roomconfig_membersonly': open ? '0' : '1',
  };
}

/** Submit the owner configuration form (§10.2); a new room stays locked until this succeeds. */
export async function configureRoom(
  session: XmppSession,
  room: string,
  config: RoomConfig,
  timeoutMs: number,
): Promise<void> {
  const form = submitForm(`${NS_MUC}#roomconfig`, config);
  await session.iqCaller.set(xml('query', { xmlns: NS_MUC_OWNER }, form), room, timeoutMs);
}
