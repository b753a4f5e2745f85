import { vitestGlobalSetup } from "@ems/db/testing";

export default vitestGlobalSetup("stack");
