/** Where a session host writes what it does (its log file, for a host in the background). */
export type HostLog = (level: 'debug' | 'info' | 'warn', message: string) => void;
