-- Lets every user of a VirtualHost on this server create nodes on this pubsub component.
--
-- mod_pubsub in Prosody 0.12 has no option for this: node creation needs the "owner"
-- service affiliation, which it gives only to server admins. Load this module beside it:
--
--   Component "pubsub.localhost" "pubsub"
--     modules_enabled = { "pubsub_local_create" }
--
-- Only the "create" check changes. The creator becomes owner of the new node (util.pubsub
-- does that), so it can publish and configure it; other nodes' access models are untouched.

local jid_host = require "util.jid".host;

local pubsub = module:depends("pubsub");

local function wrap(service)
	local get_affiliation = service.config.get_affiliation;
	service.config.get_affiliation = function (actor, node, action)
		local affiliation = get_affiliation(actor, node, action);
		if affiliation == nil and action == "create" and type(actor) == "string" then
			local host = prosody.hosts[jid_host(actor)];
			if host and host.type == "local" then
				return "owner";
			end
		end
		return affiliation;
	end
end

wrap(pubsub.service);
