// Types of the project's local ESLint rules (index.js, loaded by ESLint as plain JS).
import type { Rule } from 'eslint';

declare const plugin: { rules: { 'public-face': Rule.RuleModule; 'no-cycle': Rule.RuleModule } };
export default plugin;
