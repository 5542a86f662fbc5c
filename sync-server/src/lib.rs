//! `arcada-server`: the multi-tenant sync server. Organisations, users,
//! devices and tokens ([`auth`], [`storage`]); the batched, role-scoped sync
//! protocol over HTTP ([`http`], docs/SYNC.md). This slice runs on an
//! embedded SQLite file; PostgreSQL, live notifications and the admin API
//! for memberships come next.

pub mod auth;
pub mod config;
pub mod http;
pub mod limits;
pub mod live;
pub mod storage;
