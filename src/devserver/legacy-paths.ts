/**
 * Legacy endpoint paths. Before Matrix 1.1 every endpoint lived under `r0` (spec "Legacy
 * versioning": the last such release is r0.6.1); 1.1 renamed the prefix to `v3` without changing
 * the endpoints. Clients written against r0.6.1 (matrix-nio, older bots) still call the `r0`
 * paths, and homeservers keep serving them, so requests under `r0` are served as `v3`.
 */

const LEGACY = /^\/_matrix\/(client|media)\/r0(?=\/|$)/;

/** The path a request names, with a legacy `r0` prefix read as `v3`. */
export function currentPath(path: string): string {
  return path.replace(LEGACY, '/_matrix/$1/v3');
}
