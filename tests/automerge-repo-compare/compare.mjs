#!/usr/bin/env node
// The automerge-repo half of scripts/bench-automerge-repo: a fresh
// automerge-repo client fetches the documents that arcada's bootstrap
// benchmark exported (<dir>/<uuid>.automerge) from automerge-repo's own
// websocket sync server (@automerge/automerge-repo-sync-server, NodeFS
// storage), and the time it takes is printed.
//
//   node compare.mjs <export-dir> [--client-storage=nodefs|memory] [--concurrency=N] [--keep]
//
// The seeding client uploads every document to the server and waits until
// the server has written them all to its storage; the server is restarted,
// so that it serves from its NodeFS storage; a fresh client (empty storage)
// finds every document, 100 at a time, and is timed. A second fresh client
// then fetches them again from the same server process, which now holds
// them in memory. Every fetched document is checked against the export.
//
//   --client-storage the fresh client's storage (default nodefs, like a
//                    workstation that keeps what it fetched)
//   --concurrency    find at most N documents at a time (default 100; see
//                    DEFAULT_CONCURRENCY)
//   --keep           keep the temporary directory (server and client storage)

import { spawn } from "node:child_process"
import fs from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { performance } from "node:perf_hooks"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

import * as A from "@automerge/automerge"
import { Repo, parseAutomergeUrl, stringifyAutomergeUrl } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

// Nothing here should take long; a hang is a failure, not a slow result.
const STEP_TIMEOUT_MS = Number(process.env.COMPARE_TIMEOUT_S ?? 300) * 1000

function usage(message) {
  if (message) console.error(`error: ${message}`)
  console.error(
    "usage: node compare.mjs <export-dir> [--client-storage=nodefs|memory] [--concurrency=N] [--keep]",
  )
  process.exit(2)
}

function parseArgs(argv) {
  const opts = { dir: undefined, clientStorage: "nodefs", keep: false, concurrency: DEFAULT_CONCURRENCY }
  for (const arg of argv) {
    if (arg.startsWith("--concurrency=")) {
      opts.concurrency = Number(arg.slice("--concurrency=".length))
      if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) usage(`bad ${arg}`)
    } else if (arg === "--keep") opts.keep = true
    else if (arg.startsWith("--client-storage=")) {
      opts.clientStorage = arg.slice("--client-storage=".length)
      if (!["nodefs", "memory"].includes(opts.clientStorage)) usage(`bad ${arg}`)
    } else if (arg.startsWith("--")) usage(`unknown option ${arg}`)
    else if (opts.dir === undefined) opts.dir = arg
    else usage(`unexpected argument ${arg}`)
  }
  if (opts.dir === undefined) usage("missing <export-dir>")
  return opts
}

// How many documents the fresh client asks for at a time. All 2,000 at once
// is no faster, and not reliable: the server pings each client every 5 s and
// drops one whose pong has not come back by the next ping; a client working
// through a backlog of 2,000 sync messages answers the ping only after them,
// so the server drops it and the documents it has not received yet turn
// "unavailable". 100 at a time keeps the backlog short.
const DEFAULT_CONCURRENCY = 100

const UUID_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.automerge$/

function uuidBytes(uuid) {
  return Uint8Array.from(Buffer.from(uuid.replaceAll("-", ""), "hex"))
}

// arcada writes strings as Automerge scalar strings (autosurgeon), which
// automerge-js reads as ImmutableString objects rather than JS strings.
const text = v => (v === undefined || v === null ? undefined : String(v))

const sortedHeads = heads => [...heads].sort().join(",")

/** The exported documents: arcada's UUID is the automerge-repo document id
 * (automerge-repo ids are 16 bytes, bs58check-encoded), so both sides fetch
 * the same documents under the same ids. */
function loadExport(dir) {
  const docs = []
  for (const name of fs.readdirSync(dir).sort()) {
    const m = UUID_FILE.exec(name)
    if (!m) continue
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, name)))
    const doc = A.load(bytes)
    const url = stringifyAutomergeUrl(uuidBytes(m[1]))
    docs.push({
      uuid: m[1],
      url,
      documentId: parseAutomergeUrl(url).documentId,
      bytes,
      heads: sortedHeads(A.getHeads(doc)),
      class: text(doc.class),
      name: text(doc.name),
    })
  }
  return docs
}

/** The installed version of a package (read from node_modules: some
 * packages do not export their package.json). */
function packageVersion(name) {
  const file = path.join(here, "node_modules", name, "package.json")
  return JSON.parse(fs.readFileSync(file, "utf8")).version
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.on("error", reject)
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function withTimeout(promise, ms, what) {
  let timer
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s: ${what}`)), ms)
    }),
  ])
}

/** CPU seconds (user + system) a process has used, from /proc (Linux);
 * undefined elsewhere. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks
    // (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function until(what, check, ms = STEP_TIMEOUT_MS, every = 50) {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s: ${what}`)
    await sleep(every)
  }
}

/** The published sync server (its bin, unchanged) in a child process, on a
 * free loopback port, with its NodeFS storage in `dataDir`. */
async function startServer(dataDir, cwd) {
  const port = await freePort()
  const script = require.resolve("@automerge/automerge-repo-sync-server")
  const child = spawn(
    process.execPath,
    ["--import", new URL("./loopback.mjs", import.meta.url).href, script],
    {
      cwd,
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "inherit"],
    },
  )
  const exited = new Promise(resolve => child.once("exit", (code, signal) => resolve({ code, signal })))
  await withTimeout(
    new Promise((resolve, reject) => {
      let out = ""
      child.stdout.on("data", chunk => {
        out += chunk
        if (out.includes("Listening on port")) resolve()
      })
      exited.then(({ code, signal }) =>
        reject(new Error(`sync server exited (${code ?? signal}) before listening: ${out}`)),
      )
    }),
    30_000,
    "sync server start",
  )
  child.stdout.resume()
  return {
    url: `ws://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
      await exited
    },
  }
}

/** Documents whose changes the server has written to its NodeFS storage
 * (`<dir>/<id[0:2]>/<id[2:]>/{snapshot,incremental}/…`). */
function storedOnServer(dataDir, docs) {
  let n = 0
  for (const d of docs) {
    const base = path.join(dataDir, d.documentId.slice(0, 2), d.documentId.slice(2))
    for (const kind of ["snapshot", "incremental"]) {
      try {
        if (fs.readdirSync(path.join(base, kind)).length > 0) {
          n++
          break
        }
      } catch (e) {
        if (e.code !== "ENOENT") throw e
      }
    }
  }
  return n
}

/** Shuts a client down once the server has stopped sending to it: a
 * document is ready at the first sync message that brings it, and the sync
 * protocol's last round trips may still be on the way; cut off, they fail
 * noisily and leave handles half-synced for shutdown's final flush. */
async function quietShutdown(repo, what) {
  let last = performance.now()
  repo.networkSubsystem.on("message", () => {
    last = performance.now()
  })
  await until(`${what}: the sync server falling quiet`, () => performance.now() - last > 1000, 60_000, 100)
  try {
    await repo.shutdown()
  } catch (e) {
    console.error(`warning: ${what}: shutdown: ${e.message}`)
  }
}

async function connected(repo, what) {
  await until(`${what} connecting to the sync server`, () => repo.peers.length > 0, 30_000)
  return repo.peers[0]
}

/** Uploads every document through a seeding client and waits until the
 * server has written every document to its storage. (The fetch checks
 * afterwards that every document arrived with the exported heads.) */
async function seed(server, dataDir, docs) {
  const t = performance.now()
  const repo = new Repo({
    network: [new WebSocketClientAdapter(server.url)],
    peerId: "seeder",
    sharePolicy: async () => true,
  })
  const serverPeer = await connected(repo, "seeder")
  const storageId = repo.getStorageIdOfPeer(serverPeer)
  const handles = docs.map(d => {
    const handle = repo.import(d.bytes, { docId: d.documentId })
    // import() with a document id fills the handle but leaves it loading;
    // it is complete, so mark it ready (as Repo.create does) and it syncs.
    handle.doneLoading()
    return handle
  })
  // Heads the server acknowledged in the sync protocol: for the log only.
  const acknowledged = () =>
    storageId === undefined
      ? "?"
      : handles.filter(h => {
          const theirs = h.getSyncInfo(storageId)?.lastHeads
          return theirs !== undefined && sortedHeads(theirs) === sortedHeads(h.heads())
        }).length
  let stored = 0
  await until(
    "the sync server storing every document",
    () => {
      stored = storedOnServer(dataDir, docs)
      if (process.env.COMPARE_DEBUG) console.error(`seed: ${acknowledged()} acknowledged, ${stored} stored`)
      return stored === docs.length
    },
    STEP_TIMEOUT_MS,
    250,
  ).catch(e => {
    throw new Error(`${e.message} (${stored} of ${docs.length} stored, ${acknowledged()} acknowledged)`)
  })
  const acked = acknowledged()
  await quietShutdown(repo, "seeder")
  return { seconds: (performance.now() - t) / 1000, acked }
}

/** `f` over `items`, at most `limit` at a time, as Promise.allSettled. */
async function settleAll(items, limit, f) {
  if (limit >= items.length) return Promise.allSettled(items.map(f))
  const results = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await f(items[i]).then(
        value => ({ status: "fulfilled", value }),
        reason => ({ status: "rejected", reason }),
      )
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  return results
}

/** A fresh client (empty storage) finds every document; timed from
 * constructing the Repo to every document ready, then to its storage
 * flushed. */
async function fetchAll(server, clientDir, docs, clientStorage, peerId, concurrency) {
  const serverCpu0 = cpuSeconds(server.pid)
  const clientCpu0 = process.cpuUsage()
  const t0 = performance.now()
  const repo = new Repo({
    network: [new WebSocketClientAdapter(server.url)],
    storage: clientStorage === "nodefs" ? new NodeFSStorageAdapter(clientDir) : undefined,
    // Each client its own peer id: a server that already synced with a peer
    // of that id believes it holds the documents and sends it nothing.
    peerId,
  })
  const results = await withTimeout(
    settleAll(docs, concurrency, d => repo.find(d.url)),
    STEP_TIMEOUT_MS,
    "fresh client finding every document",
  )
  const available = (performance.now() - t0) / 1000
  // flush() refuses handles that are not ready (unavailable documents).
  await repo.flush(
    results.flatMap((r, i) => (r.status === "fulfilled" ? [docs[i].documentId] : [])),
  )
  const flushed = (performance.now() - t0) / 1000
  const clientCpu = process.cpuUsage(clientCpu0)
  const cpu = {
    client: (clientCpu.user + clientCpu.system) / 1e6,
    server: serverCpu0 === undefined ? undefined : cpuSeconds(server.pid) - serverCpu0,
  }

  const failures = []
  const samples = []
  let patients = 0
  results.forEach((r, i) => {
    const d = docs[i]
    if (r.status === "rejected") {
      failures.push(`${d.uuid}: ${r.reason?.message ?? r.reason}`)
      return
    }
    const doc = r.value.doc()
    const [docClass, docName] = [text(doc.class), text(doc.name)]
    const heads = sortedHeads(A.getHeads(doc))
    if (heads !== d.heads) failures.push(`${d.uuid}: heads ${heads} ≠ exported ${d.heads}`)
    else if (docClass !== d.class) failures.push(`${d.uuid}: class ${docClass} ≠ ${d.class}`)
    else if (d.class === "patient") {
      if (!docName || docName !== d.name)
        failures.push(`${d.uuid}: patient name ${JSON.stringify(docName)} ≠ ${JSON.stringify(d.name)}`)
      else {
        patients++
        if (samples.length < 3) samples.push(`${docName} (${d.uuid})`)
      }
    }
  })
  await quietShutdown(repo, peerId)
  return { available, flushed, failures, patients, samples, cpu }
}

function report(what, r, docs, opts) {
  console.log(
    `${what}: a fresh client (${opts.clientStorage} storage) has ${docs.length} documents ready in ${r.available.toFixed(2)} s (${(docs.length / r.available).toFixed(0)} documents/s), its storage flushed at ${r.flushed.toFixed(2)} s`,
  )
  const server = r.cpu.server === undefined ? "" : `, sync server ${r.cpu.server.toFixed(1)} s`
  console.log(`  CPU time used meanwhile: client ${r.cpu.client.toFixed(1)} s${server}`)
  if (r.failures.length > 0) {
    console.error(`FAILED: ${r.failures.length} of ${docs.length} documents missing or wrong, e.g.:`)
    for (const f of r.failures.slice(0, 10)) console.error(`  ${f}`)
    process.exitCode = 1
  } else {
    console.log(
      `  verified: all ${docs.length} documents have the exported heads; ${r.patients} patients with the exported name, e.g. ${r.samples.join("; ")}`,
    )
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const docs = loadExport(opts.dir)
  if (docs.length === 0) usage(`no <uuid>.automerge files in ${opts.dir}`)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "arcada-amr-compare-"))
  const dataDir = path.join(tmp, "server")
  fs.mkdirSync(dataDir)
  const versions = ["automerge-repo", "automerge-repo-sync-server", "automerge"]
    .map(p => `${p} ${packageVersion(`@automerge/${p}`)}`)
    .join(", ")
  console.log(`automerge-repo comparison: ${docs.length} documents from ${opts.dir} (node ${process.version}; ${versions})`)

  let server
  try {
    server = await startServer(dataDir, tmp)
    const seeded = await seed(server, dataDir, docs)
    console.log(
      `seed: ${docs.length} documents uploaded and stored by the sync server in ${seeded.seconds.toFixed(1)} s (${seeded.acked} acknowledged in the sync protocol)`,
    )
    // A fresh workstation fetches from a server that holds the documents in
    // its storage, not from the memory of the process that just received
    // them: restart it.
    await server.stop()
    server = await startServer(dataDir, tmp)
    const cold = await fetchAll(server, path.join(tmp, "fresh"), docs, opts.clientStorage, "fresh-workstation-1", opts.concurrency)
    report("sync server restarted (serving from its NodeFS storage)", cold, docs, opts)
    // The same server again: it now holds every document in memory, as a
    // long-running server does for documents it has served since it started.
    const warm = await fetchAll(server, path.join(tmp, "fresh-2"), docs, opts.clientStorage, "fresh-workstation-2", opts.concurrency)
    report("same sync server again (documents now in its memory)", warm, docs, opts)
    if (process.exitCode) return
    // Parsed by scripts/bench-automerge-repo.
    console.log(`automerge_repo_seconds=${cold.available.toFixed(6)} documents=${docs.length} patients=${cold.patients}`)
    console.log(`automerge_repo_flushed_seconds=${cold.flushed.toFixed(6)}`)
    console.log(`automerge_repo_warm_seconds=${warm.available.toFixed(6)}`)
  } finally {
    if (server) await server.stop()
    if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true })
    else console.log(`kept ${tmp}`)
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  e => {
    console.error(`error: ${e.stack ?? e}`)
    process.exit(1)
  },
)
