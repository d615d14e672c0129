export const wakeScenarios = [];
