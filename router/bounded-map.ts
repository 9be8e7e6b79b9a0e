/**
 * The eviction rule of the router's in-process maps: a Map iterates in
 * insertion order, so re-inserting on every write and dropping the first key
 * past the bound evicts the entry written longest ago.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, maxEntries: number): void {
  map.delete(key); // re-insert at the end
  map.set(key, value);
  if (map.size > maxEntries) map.delete(map.keys().next().value!);
}
