export { Broker, PublishError } from "./broker.ts";
export type { BrokerOptions, ConsumeOptions, Delivery, DeliveryHandler, PublishOptions, SetupFunction } from "./broker.ts";
export { declareTopology, deleteTopology } from "./topology.ts";
export { consoleLogger } from "./log.ts";
export type { Logger, LogLevel } from "./log.ts";
