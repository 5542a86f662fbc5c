//! `arcada-server`: the multi-tenant sync server (tenants, users, devices,
//! document sync, storage backends, WhatsApp). Empty until the sync server
//! lands.
