export { default } from "@ems/config/eslint";
