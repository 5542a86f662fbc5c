// Preloaded into the sync server (node --import ./loopback.mjs): the
// published server calls `app.listen(PORT, callback)`, which binds every
// interface; the benchmark keeps it on the loopback interface.
import net from "node:net"

const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1")
  }
  return listen.apply(this, args)
}
