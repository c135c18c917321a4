// A learner's Node program with AWS's SDK v3 (@aws-sdk/client-sqs), pointed at a room.
// Usage: node sqs_aws_sdk_js.mjs '<the "sqs" object of connect.json>'; prints what it saw.
import {
  CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand,
  SendMessageCommand, SQSClient,
} from "@aws-sdk/client-sqs";

const facts = JSON.parse(process.argv[2]);
const sqs = new SQSClient({
  endpoint: facts.endpoint_url, region: facts.region_name,
  credentials: { accessKeyId: facts.aws_access_key_id, secretAccessKey: facts.aws_secret_access_key },
});
const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "node" }));
await sqs.send(new SendMessageCommand({
  QueueUrl, MessageBody: "from node",
  MessageAttributes: { bin: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) } },
}));
const got = await sqs.send(new ReceiveMessageCommand({
  QueueUrl, WaitTimeSeconds: 2, MessageAttributeNames: ["All"],
}));
await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: got.Messages[0].ReceiptHandle }));
let error = null;
try {
  await sqs.send(new GetQueueAttributesCommand({ QueueUrl: `${QueueUrl}-missing`, AttributeNames: ["All"] }));
} catch (caught) {
  error = caught.name;
}
console.log(JSON.stringify({
  QueueUrl, bodies: got.Messages.map((m) => m.Body),
  bin: Array.from(got.Messages[0].MessageAttributes.bin.BinaryValue), error,
}));
