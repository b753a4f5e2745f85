/** Consistent hashing of device ids onto partitions: implemented by the data-plane work. */
export {};
