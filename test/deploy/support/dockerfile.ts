/**
 * A small Dockerfile reader for lint tests: joins `\` continuations, drops comments and
 * parser directives, and groups instructions into build stages (one per FROM).
 */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

export interface BuildStage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

export function parseDockerfile(text: string): { preamble: Instruction[]; stages: BuildStage[] } {
  const preamble: Instruction[] = [];
  const stages: BuildStage[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let logical = lines[i];
    if (/^\s*(#.*)?$/.test(logical)) continue;
    while (/\\\s*$/.test(logical) && i + 1 < lines.length) {
      i++;
      if (/^\s*#/.test(lines[i])) continue; // comment lines inside a continuation are dropped
      logical = logical.replace(/\\\s*$/, ' ') + lines[i].trim();
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(logical);
    if (!m) throw new Error(`line ${start + 1}: not an instruction: ${logical}`);
    const ins: Instruction = { keyword: m[1].toUpperCase(), args: m[2].trim(), line: start + 1 };
    if (ins.keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!from) throw new Error(`line ${ins.line}: bad FROM ${ins.args}`);
      stages.push({ from: from[1], name: from[2], instructions: [] });
    } else if (stages.length === 0) {
      preamble.push(ins);
    } else {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return { preamble, stages };
}
