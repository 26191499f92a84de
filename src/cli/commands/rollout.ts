/** `slipway rollout status|watch|promote|abort|pause|resume|retry|undo`: follow and steer canary and blue-green releases. */
import type { Command } from 'commander';
import { InformerFactory, type KubeClient } from '../../kube/index.ts';
import { API_VERSION, KIND, describeStep, getRollout, requestAction, rolloutView, sparkline, type AnalysisMetricView, type JudgeView, type RolloutAction, type RolloutView, type ServiceRollout } from '../../rollout/index.ts';
import type { Io } from '../io.ts';
import { connect, outputOption } from './deploy.ts';

interface Flags {
  context?: string;
  kubeconfig?: string;
  namespace?: string;
}

const addConn = (c: Command): Command =>
  c
    .option('--context <name>', 'kubeconfig context (default: current context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('-n, --namespace <ns>', 'namespace (default: the context namespace, else "default")');

const nsOf = (client: KubeClient, f: Flags): string => f.namespace ?? client.contextNamespace ?? 'default';

export function formatView(v: RolloutView, io: Io): string {
  const c = io.color;
  const phase = v.phase === 'Healthy' ? c.green(v.phase) : v.phase === 'Degraded' ? c.red(v.phase) : c.yellow(v.phase);
  const bg = v.blueGreen;
  const lines = bg
    ? [
        `${c.bold(`${v.namespace}/${v.service}`)}  ${v.strategy}  ${phase}`,
        `  active   ${v.stable.revision ?? '-'}  ${v.stable.image ?? ''}  (Service ${bg.activeService})`,
        `  preview  ${v.canary.revision ?? '-'}  ${v.canary.image ?? ''}  (Service ${bg.previewService})`,
        ...(bg.previousRevision !== undefined ? [`  previous ${bg.previousRevision}  kept until ${bg.scaleDownTime ?? 'the post-promotion analysis passes'} (\`slipway rollout undo\` switches back)`] : []),
      ]
    : [
        `${c.bold(`${v.namespace}/${v.service}`)}  ${v.strategy}  ${phase}  weight ${v.weight}% (${v.routing})`,
        `  stable  ${v.stable.revision ?? '-'}  ${v.stable.image ?? ''}`,
        `  canary  ${v.canary.revision ?? '-'}  ${v.canary.image ?? ''}`,
        '  steps:',
        ...v.steps.map((s) => `    ${s.state === 'done' ? c.green('✔') : s.state === 'current' ? c.yellow('▶') : ' '} ${s.index + 1}. ${describeStep(s.step)}`),
      ];
  if (v.analysis.length > 0) lines.push('  analysis:', ...formatAnalysis(v.analysis, io));
  if (v.judge) lines.push(...formatJudge(v.judge, io));
  if (v.release) lines.push(`  release ${v.release.id}: ${v.release.members.join(', ')}${v.release.after.length > 0 ? ` (after ${v.release.after.join(', ')})` : ''}`);
  if (v.abortReason) lines.push(`  ${c.red('aborted')}: ${v.abortReason}`);
  if (v.message) lines.push(`  ${v.message}`);
  return `${lines.join('\n')}\n`;
}

/** One line per metric: run, name, sparkline of the last measurements, last value, phase and counts. */
function formatAnalysis(metrics: readonly AnalysisMetricView[], io: Io): string[] {
  const c = io.color;
  const nameWidth = Math.max(...metrics.map((m) => m.run.length + 1 + m.name.length));
  return metrics.map((m) => {
    const phase = m.phase === 'Successful' ? c.green(m.phase) : m.phase === 'Failed' ? c.red(m.phase) : m.phase === 'Running' ? m.phase : c.yellow(m.phase);
    const n = m.counts;
    const counts = `${n.successful} ok, ${n.failed} failed${n.inconclusive > 0 ? `, ${n.inconclusive} inconclusive` : ''}${n.error > 0 ? `, ${n.error} errors` : ''}${n.noData > 0 ? `, ${n.noData} no data` : ''}`;
    const value = m.value === undefined ? '-' : String(m.value);
    return `    ${`${m.run} ${m.name}`.padEnd(nameWidth)}  ${sparkline(m.measurements.map((x) => x.value)).padEnd(10)}  ${value.padStart(8)}  ${phase} (${counts})${m.message !== undefined && m.phase !== 'Running' ? `: ${m.message}` : ''}`;
  });
}

/** The judge: verdict and score, then per metric the sparklines of both sides, the medians and the classification. */
function formatJudge(j: JudgeView, io: Io): string[] {
  const c = io.color;
  const paint = (p: string | undefined): string => (p === 'Pass' ? c.green(p) : p === 'Fail' || p === 'High' || p === 'Low' ? c.red(p) : p === undefined ? '-' : c.yellow(p));
  const head = j.verdict !== undefined ? `${paint(j.verdict)}, score ${j.score ?? '?'}` : `${j.phase}, ${j.intervals}/${j.count} intervals`;
  const width = Math.max(...j.metrics.map((m) => m.name.length));
  const nums = (xs: readonly (number | null)[]) => xs.map((x) => x ?? undefined);
  const show = (x: number | undefined) => (x === undefined ? '-' : String(Number(x.toPrecision(4))));
  return [
    `  judge (canary vs ${j.control}): ${head}${j.promotedByHand ? ' (promoted by hand)' : ''}`,
    ...j.metrics.map((m) => {
      // One scale for both sides, so the bars compare (each bar is one BMP character).
      const canary = nums(m.canary.slice(-20));
      const both = sparkline([...canary, ...nums(m.baseline.slice(-20))]);
      const sides = `canary ${both.slice(0, canary.length).padEnd(20)} ${j.control} ${both.slice(canary.length).padEnd(20)}`;
      return `    ${m.name.padEnd(width)}  ${sides}  median ${show(m.canaryMedian)} vs ${show(m.baselineMedian)}${m.ratio !== undefined ? ` ×${show(m.ratio)}` : ''}  ${paint(m.classification)}`;
    }),
  ];
}

export function registerRollout(program: Command, io: Io): void {
  const ro = program.command('rollout').description('follow and steer canary and blue-green releases run by the slipway controller');
  for (const verb of ['status', 'watch'] as const) {
    const cmd = addConn(
      ro
        .command(verb)
        .description(verb === 'status' ? 'steps (done, current, pending), weight, stable and canary (or active and preview) versions' : 'print the status on every change until the rollout is Healthy or Degraded (status --watch)')
        .argument('<service>', 'the ServiceRollout (service) name'),
    ).addOption(outputOption());
    if (verb === 'status') cmd.option('-w, --watch', 'keep printing on every change until the rollout is Healthy or Degraded');
    cmd
      .addHelpText(
        'after',
        `
-o json prints: service, namespace, strategy (canary|blueGreen), phase (Progressing|Paused|Healthy|Degraded),
currentStep, weight, routing, stable.{revision,image}, canary.{revision,image} (blue-green: the active and the
preview version), steps[{index,step,state}], paused, abortReason, message,
analysis[{name,run (step N|background|pre-promotion|post-promotion),phase,value,message,counts,
measurements[{time,phase,value}]}], with a judge judge.{phase,verdict,score,control,intervals,count,promotedByHand,message,
metrics[{name,classification,canaryMedian,baselineMedian,ratio,pValue,reason,canary[],baseline[]}]}, and for blue-green
blueGreen.{activeService,previewService,previousRevision,scaleDownTime}, and for a service released with others
release.{id,members,after}. Exit 0 when Healthy, 1 when Degraded,
0 otherwise (status); watching exits 0/1 at the end.

Examples:
  slipway rollout status api -n shop
  slipway rollout watch api -n shop
  slipway rollout status api -n shop -o json | jq .weight`,
      )
      .action(async (name: string, f: Flags & { output: string; watch?: boolean }) => {
        const client = await connect(f);
        try {
          const ns = nsOf(client, f);
          const watch = verb === 'watch' || f.watch === true;
          const print = (r: ServiceRollout): RolloutView => {
            const v = rolloutView(r);
            io.out(f.output === 'json' ? `${JSON.stringify(v, null, watch ? 0 : 2)}\n` : formatView(v, io));
            return v;
          };
          const first = print(await getRollout(client, ns, name));
          if (!watch) {
            if (first.phase === 'Degraded') io.setExitCode(1);
            return;
          }
          io.setExitCode(await watchUntilDone(client, ns, name, print, first));
        } finally {
          client.close();
        }
      });
  }

  const actions: readonly [RolloutAction, string, string][] = [
    ['promote', 'end the current pause (or, with --full, skip every remaining step); blue-green: switch the active Service to the preview', 'slipway rollout promote api -n shop\n  slipway rollout promote api -n shop --full'],
    ['abort', 'send all traffic to stable now and stop the canary (blue-green: drop the preview)', 'slipway rollout abort api -n shop'],
    ['retry', 're-run an aborted canary from step 1 (or an aborted blue-green preview)', 'slipway rollout retry api -n shop'],
    ['undo', 'blue-green: switch the active Service back to the previous version while it still has its pods (scaleDownDelaySeconds after promotion)', 'slipway rollout undo api -n shop'],
    ['pause', 'hold the rollout where it is', 'slipway rollout pause api -n shop'],
    ['resume', 'continue a paused rollout', 'slipway rollout resume api -n shop'],
  ];
  for (const [action, description, examples] of actions) {
    const cmd = addConn(ro.command(action).description(description).argument('<service>', 'the ServiceRollout (service) name'));
    if (action === 'promote') cmd.option('--full', 'skip every remaining step and promote now');
    cmd.addHelpText('after', `\nExamples:\n  ${examples}`).action(async (name: string, f: Flags & { full?: boolean }) => {
      const client = await connect(f);
      try {
        const ns = nsOf(client, f);
        await requestAction(client, ns, name, action === 'promote' && f.full ? 'promote-full' : action);
        io.out(`${action}${f.full ? ' --full' : ''} requested for ${ns}/${name}\n`);
      } finally {
        client.close();
      }
    });
  }
}

/** Prints on every change until Healthy or Degraded (after a change was seen); the exit code. */
async function watchUntilDone(client: KubeClient, ns: string, name: string, print: (r: ServiceRollout) => RolloutView, first: RolloutView): Promise<0 | 1> {
  const factory = new InformerFactory(client);
  const inf = factory.informer({ apiVersion: API_VERSION, kind: KIND, namespace: ns, fieldSelector: `metadata.name=${name}` });
  const ac = new AbortController();
  let last = JSON.stringify(first);
  let code: 0 | 1 = first.phase === 'Degraded' ? 1 : 0;
  const settled = (v: RolloutView): boolean => v.phase === 'Healthy' || v.phase === 'Degraded';
  const done = new Promise<void>((resolve) => {
    const on = (o: unknown): void => {
      const s = JSON.stringify(rolloutView(o as ServiceRollout));
      if (s === last) return;
      last = s;
      const v = print(o as ServiceRollout);
      if (settled(v)) {
        code = v.phase === 'Degraded' ? 1 : 0;
        resolve();
      }
    };
    inf.on({ update: on, add: on });
  });
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  factory.start(ac.signal);
  await Promise.race([done, new Promise<void>((r) => ac.signal.addEventListener('abort', () => r(), { once: true }))]);
  ac.abort();
  process.off('SIGINT', stop);
  return code;
}
