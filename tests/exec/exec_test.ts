import { suite } from "uvu";
import { exec } from "../../lib/exec/exec.ts";
import { execScenarios } from "./_scenarios.ts";

const tests = suite("exec() (async)");
execScenarios(tests, exec);
tests.run();
