// @ts-check
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";

export default tseslint.config(
  // test/fixtures/console-dist/: a built web app, the server's fixture, not source; console/dist/: the console's build
  { ignores: ["node_modules/", "bin/", ".scratch/", "out/", "eslint.config.mjs", "console/dist/", "test/fixtures/console-dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    // cli/bin.cjs, the `mesh` bin: plain CommonJS run by node, outside the TypeScript project
    files: ["**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", process: "readonly" } },
    rules: { ...tseslint.configs.disableTypeChecked.rules, "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["**/*.ts", "console/**/*.tsx"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "@pulumi": pulumi },
    rules: {
      // an Output in a template literal prints "Calling [toString] on an Output" instead of its value
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      // a forgotten promise in automation code loses errors and races the engine
      "@typescript-eslint/no-floating-promises": [
        "error",
        // node:test reports these itself
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "before", "after"] }] },
      ],
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": ["error", { varsIgnorePattern: "^_", argsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
  {
    // one concept per file and functions a reader can hold: counted without blank and comment lines;
    // tests are exempt (a describe block is one long function by nature)
    files: ["**/*.ts", "console/**/*.tsx"],
    ignores: ["test/**"],
    rules: {
      "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }],
      "max-lines-per-function": ["error", { max: 120, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // tests and the stand-in engine read untyped engine payloads (gRPC messages, mock inputs); `any` is the honest type there
    files: [
      "test/**/*.ts",
      "tools/**/*.ts",
      "automation/simulated/stand-in.ts",
      "automation/simulated/registration.ts",
      "automation/simulated/loopback-engine.ts",
    ],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    // the console: React's rules of hooks; it knows the API and its types, nothing else, and speaks
    // HTTP only through its lib/ layer
    files: ["console/**/*.ts", "console/**/*.tsx"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // the React Compiler is not used: its warnings about libraries it cannot compile do not apply
      "react-hooks/incompatible-library": "off",
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              // three levels up leaves console/src: only the API's types may come from there
              regex: "^(\\.\\./){3,}(?!server/(auth-)?schemas$)",
              message:
                "the console imports nothing of the server or the program, only the API's types from server/schemas.ts and server/auth-schemas.ts",
            },
            {
              regex: "^(\\.\\./){3,}server/(auth-)?schemas$",
              allowTypeImports: true,
              message: "only types come from server/schemas.ts and server/auth-schemas.ts: nothing of the server is bundled",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["console/src/components/**/*.tsx", "console/src/components/**/*.ts"],
    rules: {
      "no-restricted-globals": [
        "error",
        { name: "fetch", message: "pages read the API through console/src/lib (typed calls and hooks)" },
        { name: "EventSource", message: "job events come through console/src/lib/events.ts" },
      ],
    },
  },
);
