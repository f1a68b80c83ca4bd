//! `ticketctl sessions end`: ends every session of a principal on every node
//! that shares a store (FORMAT.md §13), what no stateless registry can do.

use std::path::PathBuf;

use cas_ticket_codec::store::Store as _;
use cas_ticket_codec::{Codec, RedisStore, rfc3339};
use clap::{Args, Subcommand};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::{Failure, KeysArg, load};

#[derive(Subcommand)]
pub enum SessionsCommand {
    /// End every session of a principal on every node sharing the store:
    /// its TGTs, STs, PTs and PGTs, authenticated until now, are refused
    /// from now on. Logging in again starts a new session.
    End(EndArgs),
}

#[derive(Args)]
pub struct EndArgs {
    #[command(flatten)]
    keys: KeysArg,
    /// The store the nodes share: `redis://HOST:PORT`, `rediss://…`, or a
    /// node of a Redis Cluster with --store-cluster (repeat for more). Its
    /// password is better kept in the environment than on a command line.
    #[arg(long, env = "TICKETCTL_STORE", value_name = "URL", required = true)]
    store: Vec<String>,
    /// The --store URLs are nodes of a Redis Cluster.
    #[arg(long)]
    store_cluster: bool,
    /// A PEM file of the CA a `rediss://` store's certificate chains to.
    #[arg(long, value_name = "PATH")]
    store_ca: Option<PathBuf>,
    /// The principal, exactly as tickets carry it (the name the node
    /// releases as `cas:user`).
    #[arg(long)]
    principal: String,
    /// How long the end must hold: the pool's longest TGT lifetime (its
    /// remember-me lifetime) plus its leeway. After that, no ticket of a
    /// session it ended is alive anyway.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = cas_ticket_codec::duration::parse_lifetime)]
    lasting: Duration,
    /// How long the store may take to answer.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = cas_ticket_codec::duration::parse_duration)]
    timeout: Duration,
}

pub fn run(command: SessionsCommand) -> Result<String, Failure> {
    let SessionsCommand::End(args) = command;
    if args.principal.is_empty() {
        return Err(Failure::usage("--principal must not be empty"));
    }
    let codec = Codec::new(&load(&args.keys.path)?);
    let ids = codec.principal_ids(&args.principal);
    let timeout = std::time::Duration::try_from(args.timeout)
        .map_err(|_| Failure::usage("--timeout must be positive"))?;
    let lasting = std::time::Duration::try_from(args.lasting)
        .map_err(|_| Failure::usage("--lasting must be positive"))?;
    let ca = match &args.store_ca {
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            Failure::store(format!("cannot read --store-ca {}: {e}", path.display()))
        })?),
        None => None,
    };
    let now = OffsetDateTime::now_utc();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::store(format!("cannot start: {e}")))?;
    runtime.block_on(async {
        let store = match args.store.as_slice() {
            seeds if args.store_cluster => RedisStore::cluster(seeds, timeout, ca.as_deref()).await,
            [url] => RedisStore::single(url, timeout, ca.as_deref()).await,
            _ => return Err(Failure::usage("several --store URLs need --store-cluster")),
        }
        .map_err(|e| Failure::store(e.to_string()))?;
        store
            .end_principal(&ids, now, lasting)
            .await
            .map_err(|e| Failure::store(e.to_string()))
    })?;
    Ok(json!({
        "principal": args.principal,
        "ended_at": rfc3339(now),
        "keys": ids.len(),
        "lasting_seconds": args.lasting.whole_seconds(),
    })
    .to_string())
}
