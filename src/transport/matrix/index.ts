import type { Transport } from '../transport.ts';
import { MatrixTransport } from './matrix-transport.ts';
import type { MatrixTransportOptions } from './options.ts';

export type { MatrixTransportOptions } from './options.ts';
export { parseUserId, isUserId } from './address.ts';
export { wipeStore as wipeMatrixStore } from './store.ts';

/** Build a Matrix transport (not yet connected). The only way the rest of the code gets one. */
export function createMatrixTransport(options: MatrixTransportOptions): Transport {
  return new MatrixTransport(options);
}
