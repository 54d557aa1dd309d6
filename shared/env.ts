/** The environment loader for child programs: the one place the engine reads the process's environment for them. */

/** The environment a `compute.command` program runs with: ours, plus what Sluice hands it. */
export type ChildEnvironment = (vars: Record<string, string>) => Record<string, string | undefined>;

/** This process's environment with Sluice's variables on top (locally and in the Fargate task alike). */
export const childEnvironment: ChildEnvironment = (vars) => ({ ...process.env, ...vars });
