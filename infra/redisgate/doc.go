// Package redisgate holds slotgate's shared counts in Redis, each changed
// only by Lua scripts that run atomically there:
//
//   - capacity (Gate, domain.CapacityGate): one bucket of places per slot,
//     taken by bookings under holds, with every key of a slot under one hash
//     tag so that a script touches one cluster node;
//   - occupancy (Counter, domain.OccupancyCounter): people inside each venue
//     and the flow through each of its entrance gates;
//   - request limits (Limiter, domain.Limiter): GCRA per policy and subject.
//
// It also connects to Redis (or Redis Cluster) and runs the embedded Redis
// that a laptop run uses by default. The name is the capacity gate's, the
// first of the three; "gate" elsewhere in slotgate means an entrance.
package redisgate
