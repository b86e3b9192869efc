/** Whether this machine lets a process ask for transparent huge pages (the policy in sysfs is `always` or `madvise`). */
import { readFileSync } from 'node:fs';

/** True when /sys/kernel/mm/transparent_hugepage/enabled has `[always]` or `[madvise]` chosen. */
export function hugePagesAllowed(): boolean {
  try {
    return /\[(always|madvise)\]/.test(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'));
  } catch {
    return false;
  }
}
