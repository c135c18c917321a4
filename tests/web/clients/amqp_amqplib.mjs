// A learner's Node program with amqplib (the RabbitMQ tutorials' client), pointed at a room.
// Usage: node amqp_amqplib.mjs '<the "amqp" object of connect.json>'; prints what it saw.
import amqp from "amqplib";

const facts = JSON.parse(process.argv[2]);
const url = `amqp://${facts.username}:${encodeURIComponent(facts.password)}@${facts.host}:` +
  `${facts.port}/${encodeURIComponent(facts.virtual_host)}`;
const connection = await amqp.connect(url);
const confirms = await connection.createConfirmChannel();
const { queue } = await confirms.assertQueue("jobs", { durable: true });
let confirmed = 0;
for (let n = 0; n < 3; n += 1) {
  confirms.sendToQueue(queue, Buffer.from(`job ${n}`), { persistent: true }, (err) => {
    if (!err) confirmed += 1;
  });
}
await confirms.waitForConfirms();

const worker = await connection.createChannel();
await worker.prefetch(1);
const bodies = [];
await new Promise((resolve) => {
  worker.consume(queue, (message) => {
    bodies.push(message.content.toString());
    worker.ack(message);
    if (bodies.length === 3) resolve();
  });
});

let error = null;
const doomed = await connection.createChannel();
doomed.on("error", () => {});
try {
  await doomed.checkQueue("missing");
} catch (caught) {
  error = caught.code;
}
await connection.close();
console.log(JSON.stringify({ queue, confirmed, bodies, error }));
