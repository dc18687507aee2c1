/**
 * Creating workspace rooms and explaining why a join failed (specs/protocol.md §4.2): both the
 * room a plain join creates and the one `createWorkspace` sets up are typed
 * `org.mxagent.workspace`, encrypted, and carry the workspace power levels.
 */
import { MatrixError, Preset, Visibility, type ICreateRoomOpts } from 'matrix-js-sdk';
import { RefusedError, UsageError } from '../../errors.ts';
import type { WorkspaceSettings } from '../transport.ts';
import { localpartOf, serverOf } from './address.ts';
import { mapMatrixError, protocolDetail } from './matrix-errors.ts';
import { ENCRYPTION_STATE, WORKSPACE_POWER_LEVELS, WORKSPACE_ROOM_TYPE } from './room-defaults.ts';

/**
 * The createRoom request for a workspace. `settings` absent: the join path's default, joinable
 * by whoever knows the alias (`public_chat`) but not listed. Private: invite only
 * (`private_chat`), not listed. Public: `public_chat` and listed in the room directory.
 */
export function workspaceRoomOptions(
  alias: string,
  settings: WorkspaceSettings | undefined,
  encrypted: boolean,
): ICreateRoomOpts {
  const name = localpartOf(alias);
  const open = settings === undefined || settings.public === true;
  const title = settings?.title?.trim();
  return {
    room_alias_name: name,
    preset: open ? Preset.PublicChat : Preset.PrivateChat,
    visibility: settings?.public === true ? Visibility.Public : Visibility.Private,
    name: title === undefined || title === '' ? name : title,
    creation_content: { type: WORKSPACE_ROOM_TYPE },
    power_level_content_override: WORKSPACE_POWER_LEVELS,
    ...(encrypted ? { initial_state: [ENCRYPTION_STATE] } : {}),
  };
}

/** Only an alias on our own server can be created through our homeserver. */
export function assertCreatable(alias: string, userId: string, missing: boolean): void {
  if (!alias.startsWith('#')) {
    throw new UsageError(
      `expected a Matrix room alias like #team:${serverOf(userId)} to create, got a room id: ${alias}`,
    );
  }
  const own = serverOf(userId);
  if (serverOf(alias) === own) return;
  throw new UsageError(
    missing
      ? `workspace ${alias} does not exist, and only aliases on ${own} can be created here`
      : `only aliases on ${own} can be created here, got ${alias}`,
  );
}

/** True when createRoom failed because the alias is taken. */
export function isAliasTaken(error: unknown): error is MatrixError {
  return error instanceof MatrixError && error.errcode === 'M_ROOM_IN_USE';
}

/** The refusal for creating a workspace that exists. */
export function workspaceExists(alias: string, error: MatrixError): RefusedError {
  return new RefusedError(
    `workspace ${alias} exists already: join it with "mx-agent workspace join ${alias}"`,
    { cause: error, detail: { ...protocolDetail(error), condition: 'exists' } },
  );
}

/**
 * Why joining failed, in our error kinds. M_FORBIDDEN on a join is nearly always a private
 * (invite-only) workspace without an invitation, or a ban (spec: "Joining rooms").
 */
export function joinFailure(error: unknown, workspace: string, userId: string): Error {
  if (error instanceof MatrixError && error.errcode === 'M_FORBIDDEN') {
    return new RefusedError(
      `could not join ${workspace}: the server refused ${userId} (M_FORBIDDEN: ${error.data.error ?? error.message}); a private workspace admits only invited accounts: ask its owner to invite ${userId}`,
      { cause: error, detail: protocolDetail(error) },
    );
  }
  return mapMatrixError(error, `join ${workspace}`);
}
