-- Prosody configuration for mx-agent development and tests: loopback only, throwaway data.
-- dev/xmpp/prosody.ts fills in the placeholders and starts `prosody --config FILE -F`.
-- Domains: localhost (users), conference.localhost (rooms), upload.localhost (XEP-0363),
-- agent.localhost (an XEP-0114 component).

run_as_root = @RUN_AS_ROOT@
pidfile = "@DIR@/prosody.pid"
data_path = "@DIR@/data"
certificates = "@DIR@/certs"
log = { info = "@DIR@/prosody.log" }

interfaces = { "127.0.0.1" }
c2s_ports = { @C2S_PORT@ }
c2s_direct_tls_ports = { @DIRECT_TLS_PORT@ }
component_ports = { @COMPONENT_PORT@ }
component_interfaces = { "127.0.0.1" }
http_ports = { @HTTP_PORT@ }
http_interfaces = { "127.0.0.1" }
https_ports = { }

modules_enabled = {
  "roster"; "saslauth"; "disco"; "ping"; "version"; "time"; "uptime";
  "pep"; "smacks"; "mam"; "offline"; "carbons"; "blocklist"; "vcard_legacy";
  @TLS_MODULE@
}
-- No federation in tests.
modules_disabled = { "s2s"; @DISABLED_TLS@ }

authentication = "internal_hashed"
c2s_require_encryption = @REQUIRE_ENCRYPTION@
-- Never offer PLAIN without TLS: clients must use SCRAM on plaintext loopback streams.
allow_unencrypted_plain_auth = false
@SSL@

-- Small, fast smacks hibernation so tests of dead sessions do not wait.
smacks_hibernation_time = 10

VirtualHost "localhost"

Component "conference.localhost" "muc"
  modules_enabled = { "muc_mam" }
  restrict_room_creation = false

Component "upload.localhost" "http_file_share"
  http_host = "127.0.0.1"
  http_external_url = "http://127.0.0.1:@HTTP_PORT@/"
  http_file_share_size_limit = 16 * 1024 * 1024

Component "agent.localhost"
  component_secret = "@COMPONENT_SECRET@"
