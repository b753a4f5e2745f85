import nextPlugin from "@next/eslint-plugin-next";
import emsConfig from "@ems/config/eslint";

export default [
  ...emsConfig,
  { ignores: ["playwright-report/**", "test-results/**"] },
  {
    files: ["**/*.{ts,tsx}"],
    plugins: { "@next/next": nextPlugin },
    rules: { ...nextPlugin.configs.recommended.rules, ...nextPlugin.configs["core-web-vitals"].rules },
  },
];
