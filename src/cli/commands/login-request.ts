/**
 * What `login xmpp` was asked to do, validated before anything is prompted for or sent.
 * A plain function of the option values, so its errors are unit-tested.
 */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import type { OptionValues } from 'commander';
import { UsageError, quote } from '../../errors.ts';
import { parseProfileName, type XmppAccount } from '../../config/profile.ts';
import {
  accountHost,
  isLoopbackHost,
  parseDomain,
  parseJid,
  parsePort,
  parseResource,
  parseTlsMode,
} from '../../config/xmpp-account.ts';
import { flagOption, stringOption } from '../option-values.ts';

/** A validated login: the account to store, its profile name, how to read its secret. */
export interface LoginRequest {
  readonly profileName: string;
  readonly account: XmppAccount;
  /** The account id: bare JID or component domain. */
  readonly id: string;
  readonly secretFromStdin: boolean;
  readonly makeDefault: boolean;
  /** Things the user should be told before the secret is asked for. */
  readonly warnings: readonly string[];
}

const CLIENT_ONLY = ['tls', 'tlsInsecure', 'caFile', 'resource', 'passwordStdin'] as const;
const FLAG_NAMES: Record<(typeof CLIENT_ONLY)[number], string> = {
  tls: '--tls',
  tlsInsecure: '--tls-insecure',
  caFile: '--ca-file',
  resource: '--resource',
  passwordStdin: '--password-stdin',
};

/** Validate `login xmpp` options; `profile` is the global --profile. */
export function parseLoginRequest(values: OptionValues, profile: string | undefined): LoginRequest {
  const jid = stringOption(values, 'jid');
  const component = stringOption(values, 'component');
  if (jid !== undefined && component !== undefined)
    throw new UsageError('give either --jid (an account) or --component (a component), not both');
  if (jid === undefined && component === undefined)
    throw new UsageError('expected --jid alice@example.org (or --component agent.example.org)');
  const request =
    component === undefined ? clientLogin(values, jid ?? '') : componentLogin(values, component);
  return {
    ...request,
    profileName: profileNameFor(profile, request.id),
    makeDefault: flagOption(values, 'makeDefault'),
  };
}

type PartialRequest = Omit<LoginRequest, 'profileName' | 'makeDefault'>;

function clientLogin(values: OptionValues, jidInput: string): PartialRequest {
  const jid = parseJid(jidInput);
  if (flagOption(values, 'secretStdin'))
    throw new UsageError('an account logs in with a password: use --password-stdin');
  const host = stringOption(values, 'host');
  const port = optional(stringOption(values, 'port'), parsePort);
  const tls = parseTlsMode(stringOption(values, 'tls') ?? 'starttls');
  const tlsInsecure = flagOption(values, 'tlsInsecure');
  const caFile = optional(stringOption(values, 'caFile'), readableFile);
  const resource = optional(stringOption(values, 'resource'), parseResource);
  const account: XmppAccount = {
    mode: 'client',
    jid,
    ...(host === undefined ? {} : { host }),
    ...(port === undefined ? {} : { port }),
    tls,
    ...(tlsInsecure ? { tlsInsecure } : {}),
    ...(caFile === undefined ? {} : { caFile }),
    ...(resource === undefined ? {} : { resource }),
  };
  const target = accountHost(account);
  const warnings: string[] = [];
  if (tls === 'off' && !isLoopbackHost(target)) {
    if (!tlsInsecure)
      throw new UsageError(
        `--tls off sends everything unencrypted; it is only allowed for a server on this machine (localhost, 127.0.0.0/8, ::1), got host ${quote(target)}; add --tls-insecure to accept that risk`,
      );
    warnings.push(
      `--tls off: the password and every message cross the network to ${target} unencrypted`,
    );
  } else if (tlsInsecure && tls !== 'off') {
    warnings.push(
      '--tls-insecure: the server certificate is not checked, so anyone on the path can pose as the server; use it only for development',
    );
  }
  return { account, id: jid, secretFromStdin: flagOption(values, 'passwordStdin'), warnings };
}

function componentLogin(values: OptionValues, domainInput: string): PartialRequest {
  const domain = parseDomain(domainInput, 'a component domain like agent.example.org');
  for (const name of CLIENT_ONLY) {
    if (values[name] !== undefined)
      throw new UsageError(
        name === 'passwordStdin'
          ? 'a component authenticates with a shared secret: use --secret-stdin'
          : `${FLAG_NAMES[name]} applies to --jid accounts; a component connection (XEP-0114) has no TLS`,
      );
  }
  const host = stringOption(values, 'host');
  const port = optional(stringOption(values, 'port'), parsePort);
  if (host === undefined || port === undefined)
    throw new UsageError(
      "a component needs the server's --host and its component --port (often 5347)",
    );
  const warnings = isLoopbackHost(host)
    ? []
    : [
        `a component connection (XEP-0114) is not encrypted; traffic to ${host} crosses the network in clear text`,
      ];
  return {
    account: { mode: 'component', domain, host, port },
    id: domain,
    secretFromStdin: flagOption(values, 'secretStdin'),
    warnings,
  };
}

function profileNameFor(profile: string | undefined, id: string): string {
  if (profile !== undefined) return parseProfileName(profile);
  try {
    return parseProfileName(id);
  } catch {
    throw new UsageError(
      `cannot name a profile after ${quote(id)} (letters, digits and @ . _ - only); choose a name with --profile NAME`,
    );
  }
}

function readableFile(input: string): string {
  const file = resolve(input);
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new UsageError(`expected --ca-file to name a readable PEM file, got ${quote(input)}`);
  }
  return file;
}

function optional<T>(value: string | undefined, parse: (input: string) => T): T | undefined {
  return value === undefined ? undefined : parse(value);
}
