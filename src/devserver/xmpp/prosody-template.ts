/**
 * The development Prosody's configuration (Prosody 0.12 Lua), with \`@NAME@\` placeholders that
 * config.ts fills per run. Kept as a module so the built CLI (\`mx-agent demo\`) carries it.
 */
export const PROSODY_TEMPLATE = `-- Prosody 0.12 configuration for mx-agent development and tests: loopback only, throwaway data.
--
-- src/devserver/xmpp/prosody.ts replaces each placeholder (a name between at signs) with a Lua
-- literal, writes the result to <dir>/prosody.cfg.lua and runs \`prosody --config <that file> -F\`.
-- See dev/xmpp/README.md.
--
-- Domains:
--   localhost              users (register them with prosodyctl; no in-band registration)
--   conference.localhost   XEP-0045 rooms, any local user may create them, archived (XEP-0313)
--   upload.localhost       XEP-0363 slots, files served at http://127.0.0.1:<http port>/file_share/
--   agent.localhost        an XEP-0114 external component, authenticated by component_secret

local dir = @DIR@ -- config, data, log, pid file and certificates of this run
local tls = @TLS@ -- true: STARTTLS required plus a direct TLS port; false: plaintext loopback

run_as_root = @RUN_AS_ROOT@ -- Prosody refuses to run as root unless told
pidfile = dir .. "/prosody.pid"
data_path = dir .. "/data"
certificates = dir .. "/certs" -- empty unless tls (made by prosody.ts with openssl)
-- "info" keeps a long test run's log small; "debug" (--debug) shows every stanza.
log = { { levels = { min = @LOG_LEVEL@ }, to = "file", filename = dir .. "/prosody.log" } }

-- Listen on loopback only, on ports picked free for this run.
interfaces = { "127.0.0.1" }
c2s_ports = { @C2S_PORT@ }
component_ports = { @COMPONENT_PORT@ }
component_interfaces = { "127.0.0.1" }
http_ports = { @HTTP_PORT@ }
http_interfaces = { "127.0.0.1" }
https_ports = { }

-- Send each stanza when it is written. Prosody leaves Nagle's algorithm on by default, so a
-- small stanza written right after another waits for the client's delayed ACK: about 40 ms on
-- a chat reply (bench/serve.ts). Agents exchange many small stanzas; docs/performance.md
-- recommends the same setting for servers that host agents.
network_settings = { nagle = false }

local modules = {
  "roster"; "saslauth"; "disco"; "ping"; "version"; "time"; "uptime"; "pep";
  "smacks"; "mam"; "offline"; "carbons"; "blocklist"; "vcard_legacy";
}
if tls then
  modules[#modules + 1] = "tls"
end
modules_enabled = modules
-- No federation: nothing here should ever talk to another server.
modules_disabled = { "s2s" }

authentication = "internal_hashed"
allow_registration = false
-- PLAIN only inside TLS: on plaintext streams only SCRAM-SHA-1 is offered.
allow_unencrypted_plain_auth = false

if tls then
  c2s_require_encryption = true
  c2s_direct_tls_ports = { @DIRECT_TLS_PORT@ } -- XEP-0368: TLS from the first byte
  ssl = { certificate = dir .. "/certs/localhost.crt"; key = dir .. "/certs/localhost.key" }
else
  -- mod_tls is not loaded: loaded without a certificate it would still offer STARTTLS.
  c2s_require_encryption = false
end

-- Short XEP-0198 hibernation, so tests of dead sessions do not wait the default 10 minutes.
smacks_hibernation_time = 10

VirtualHost "localhost"

Component "conference.localhost" "muc"
  modules_enabled = { "muc_mam" }
  restrict_room_creation = false -- anyone on this server (s2s is off) may create rooms
  muc_log_by_default = true -- new rooms are archived unless their config says otherwise

Component "upload.localhost" "http_file_share"
  -- Slot URLs are built from http_host and the HTTP port, and requests are routed by Host.
  http_host = "127.0.0.1"
  http_file_share_size_limit = 16 * 1024 * 1024

Component "agent.localhost"
  component_secret = @COMPONENT_SECRET@
`;
