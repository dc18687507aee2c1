import { UsageError } from '../../errors.ts';
import type { Transport } from '../transport.ts';
import type { Trust } from './trust.ts';
import { MatrixTransport } from './matrix-transport.ts';
import type { MatrixTransportOptions } from './options.ts';

export type { MatrixTransportOptions } from './options.ts';
export { parseUserId, isUserId } from './address.ts';
export { wipeStore as wipeMatrixStore } from './store.ts';
export { logoutDevice, passwordLogin, whoami, type MatrixSession } from './account.ts';

export type { BackupStatus, DeviceTrust, SasDecision, SasPrompt } from './trust.ts';

/** The device-trust operations of a Matrix transport (verification, cross-signing, backup). */
export function matrixTrust(transport: Transport): Trust {
  if (!(transport instanceof MatrixTransport)) {
    throw new UsageError('device verification needs a Matrix profile');
  }
  return transport.trust();
}

/** Build a Matrix transport (not yet connected). The only way the rest of the code gets one. */
export function createMatrixTransport(options: MatrixTransportOptions): Transport {
  return new MatrixTransport(options);
}
