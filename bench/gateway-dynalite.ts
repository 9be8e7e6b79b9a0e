/**
 * dynalite in its own process for `bench:gateway`, so the DynamoDB stand-in's
 * CPU does not run on the load generator's event loop. Prints its port.
 */
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
