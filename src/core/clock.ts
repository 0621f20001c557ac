/** Injected time source: pure modules never call Date.now() themselves. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
