// Package webhook tells subscribers about every call of an employee — an ACD
// agent (the call.* events of the queues) or any extension the AMI observer
// sees (the pbx.* events) — with the messages and parameter names of
// Flexfone's employee integration ("Medarbejderintegration"): ringing,
// answered, outgoing and ended, as GET query parameters or POST form/JSON per
// subscription.
//
// Delivery is durable. Feeder is a durable consumer of the event log that
// writes each message into the outbox table in the transaction that moves
// its cursor: a message enters the outbox once, whatever restarts. Deliverer
// sends each subscription's outbox rows in order, at least once, signed as
// Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature), with
// the Standard Webhooks retry schedule; a message that exhausts it is a dead
// letter an admin can list and replay.
package webhook
