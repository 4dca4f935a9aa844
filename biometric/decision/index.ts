export {
  MultiFrameDecider,
  stepDecision,
  validateMatchPolicy,
  INITIAL_DECIDER_STATE,
  type DeciderConfig,
  type DeciderState,
  type Frame,
  type FrameDecision,
} from './multi-frame.js';
