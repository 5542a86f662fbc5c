//! `arcada-server`: the multi-tenant sync server. Organisations, users,
//! devices and tokens ([`auth`], [`storage`]); the batched, role-scoped sync
//! protocol over HTTP ([`http`], docs/SYNC.md) with snapshots for fresh
//! workstations; live notifications ([`live`]), relayed between instances
//! sharing PostgreSQL ([`relay`]). Storage: embedded SQLite or PostgreSQL.
//! WhatsApp Cloud API webhooks ([`whatsapp`]).

pub mod admission;
pub mod auth;
pub mod cloud_api;
pub mod config;
pub mod http;
pub mod limits;
pub mod live;
pub mod relay;
pub mod replicas;
pub mod signing;
pub mod storage;
pub mod whatsapp;
