// Prints a TCP port that is free on loopback right now (and whose +10000 is free too, for Erlang distribution).
import net from 'node:net';
const free = (port) => new Promise((resolve) => {
  const s = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
});
for (;;) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  if ((await free(port)) && (await free(port + 10000))) { console.log(port); break; }
}
