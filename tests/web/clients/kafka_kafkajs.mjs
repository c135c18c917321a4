// A learner's Node program with kafkajs, pointed at a room's Kafka listener.
// Usage: node kafka_kafkajs.mjs '<the "kafka" object of connect.json>' <topic> <group>
// Produces three records, reads them back in a consumer group, prints what it saw as JSON.
import kafkajs from "kafkajs";

const { Kafka, logLevel } = kafkajs;
const [facts, topic, group] = [JSON.parse(process.argv[2]), process.argv[3], process.argv[4]];
const kafka = new Kafka({
  clientId: "kafkajs", brokers: [facts.bootstrap_servers], logLevel: logLevel.ERROR,
  sasl: { mechanism: "plain", username: facts.sasl_plain_username,
          password: facts.sasl_plain_password },
});
const admin = kafka.admin();
await admin.connect();
const created = await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
await admin.disconnect();

const producer = kafka.producer();
await producer.connect();
const sent = await producer.send({
  topic, messages: [1, 2, 3].map((n) => ({ key: `k${n}`, value: `from kafkajs ${n}` })),
});
await producer.disconnect();

const consumer = kafka.consumer({ groupId: group });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
const values = [];
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`only ${values.length} records`)), 30000);
  consumer.run({
    eachMessage: async ({ message }) => {
      values.push(message.value.toString());
      if (values.length === 3) { clearTimeout(timer); resolve(); }
    },
  });
});
await consumer.disconnect();
console.log(JSON.stringify({ created, partitions: sent.map((r) => r.partition).length,
                             values: values.sort() }));
