// Prints a TCP port that is free on loopback now, for a private RabbitMQ node: the port is in
// 10000-19999 and its Erlang distribution port (+10000) in 20000-29999, both below Linux's
// ephemeral range and clear of 35672-35682, where RabbitMQ's own CLI tools listen.
import net from 'node:net';
const free = (port) =>
  new Promise((resolve) => {
    const s = net
      .createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
for (;;) {
  const port = 10000 + Math.floor(Math.random() * 10000);
  if ((await free(port)) && (await free(port + 10000))) {
    console.log(port);
    break;
  }
}
