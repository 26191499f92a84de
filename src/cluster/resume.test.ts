import { describe, expect, it } from 'vitest';
import type { SlipwayError } from '../errors/index.ts';
import { COMPONENTS, type ClusterPorts, type Component } from './layout.ts';
import { healthAsked, startMode, type ComponentProbe } from './resume.ts';

const ports: ClusterPorts = { etcdClient: 1001, etcdPeer: 1002, apiserver: 1003, controllerManager: 1004, scheduler: 1005, kwok: 1006 };
const pids = { etcd: 11, 'kube-apiserver': 12, 'kube-controller-manager': 13, 'kube-scheduler': 14, kwok: 15 };
const UP: ComponentProbe = { alive: true, healthy: true };
const DOWN: ComponentProbe = { alive: false, portsFree: true };
const probes = (o: Partial<Record<Component, ComponentProbe>>): Record<Component, ComponentProbe> => Object.fromEntries(COMPONENTS.map((c) => [c, o[c] ?? UP])) as Record<Component, ComponentProbe>;
const allDown = Object.fromEntries(COMPONENTS.map((c) => [c, DOWN])) as Record<Component, ComponentProbe>;

describe('startMode: cluster up on a data dir with a state file', () => {
  it.each<[string, Record<Component, ComponentProbe>, unknown]>([
    ['nothing alive: a fresh start (on the old ports)', allDown, { mode: 'fresh' }],
    ['everything alive and healthy: already running', probes({}), { mode: 'running' }],
    ['scheduler and controller-manager killed: resume them, keep the rest', probes({ 'kube-scheduler': DOWN, 'kube-controller-manager': DOWN }), { mode: 'resume', alive: ['etcd', 'kube-apiserver', 'kwok'], down: ['kube-controller-manager', 'kube-scheduler'] }],
    ['etcd killed: resume it (the apiserver, alive, is not asked its health: it cannot be healthy without etcd)', probes({ etcd: DOWN, 'kube-apiserver': { alive: true }, 'kube-controller-manager': { alive: true }, 'kube-scheduler': { alive: true }, kwok: { alive: true } }), { mode: 'resume', alive: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'], down: ['etcd'] }],
    ['only etcd alive: the rest resumed in order', { ...allDown, etcd: UP }, { mode: 'resume', alive: ['etcd'], down: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] }],
  ])('%s', (_, p, want) => {
    expect(startMode('dev', p, pids, ports)).toEqual(want);
  });

  it.each<[string, Record<Component, ComponentProbe>, RegExp]>([
    ['a live component that does not answer its health check (wedged, or not ours)', probes({ 'kube-scheduler': DOWN, 'kube-apiserver': { alive: true, healthy: false } }), /kube-apiserver \(pid 12\) does not answer its health check/],
    ['the port of a down component is taken by another process', probes({ 'kube-scheduler': { alive: false, portsFree: false } }), /the ports of kube-scheduler \(1005\) are in use by another process/],
    ['etcd down and its ports taken', probes({ etcd: { alive: false, portsFree: false }, 'kube-apiserver': { alive: true } }), /the ports of etcd \(1001, 1002\)/],
  ])('refuses: %s', (_, p, message) => {
    let e: SlipwayError | undefined;
    try {
      startMode('dev', p, pids, ports);
    } catch (x) {
      e = x as SlipwayError;
    }
    expect(e?.kind).toBe('conflict');
    expect(e?.message).toMatch(message);
    expect(e?.message).toMatch(/it is not resumed/);
    expect(e?.hint).toMatch(/slipway cluster down --name dev/);
  });

  it('health is asked only of a live component whose dependencies are alive', () => {
    const alive = new Set<Component>(['kube-apiserver', 'kube-scheduler']);
    expect(COMPONENTS.filter((c) => healthAsked(c, (x) => alive.has(x)))).toEqual([]);
    alive.add('etcd');
    expect(COMPONENTS.filter((c) => healthAsked(c, (x) => alive.has(x)))).toEqual(['etcd', 'kube-apiserver', 'kube-scheduler']);
  });
});
