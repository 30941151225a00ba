// CPU time of the processes a benchmark started: steadier than wall time on a shared machine.
import { readFileSync } from 'node:fs';

/**
 * CPU seconds (user + system) of this process's finished children and all their descendants: Linux
 * adds a waited-for child's times, its own children's included, to cutime and cstime.
 */
export function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // After "pid (comm) ", cutime and cstime are fields 14 and 15 (from 0), in clock ticks of 1/100 s.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}
