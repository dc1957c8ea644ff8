/** framesmith's public API. */
export { parseRational, formatRational, type Rational } from './media/rational.js';
export { ProcessError, killAllChildren } from './media/process.js';
export { getTools, ToolUnavailableError } from './media/tools.js';
