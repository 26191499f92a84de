/**
 * Progressive delivery: the ServiceRollout custom resource, its CRD, the traffic routers, and
 * the reconciler the slipway controller runs.
 */
export { rolloutReconciler, reconcileRollout, INSTANCE_LABEL } from './reconcile.ts';
export { templateHash, canaryReplicasFor, canaryScaleAt, durationMs, imageOf, REVISION_LABEL } from './run.ts';
export { versionName } from './bluegreen.ts';
export { routerFor, canaryWeightOf, stableName, canaryName, TRACK_LABEL, CONTROLLER_MANAGER, type TrafficRouter, type HeaderRoute } from './router.ts';
export { serviceRolloutCrd, structural, API_VERSION, KIND, PLURAL, GROUP, REQUEST_ANNOTATIONS, type ServiceRollout, type ServiceRolloutSpecT, type ServiceRolloutStatusT, type StepT, type BlueGreenT } from './types.ts';
export { startController, controllerPresence, type ControllerOptions } from './controller.ts';
export { installManifests, CONTROLLER_NAMESPACE, CONTROLLER_NAME, CONTROLLER_RULES, LEASE_NAME, type InstallOptions } from './install.ts';
export { rolloutView, describeStep, getRollout, requestAction, sparkline, CLI_MANAGER, type RolloutView, type RolloutAction, type StepState, type AnalysisMetricView, type JudgeView } from './view.ts';
export { handOver, plannedPauseMs, stepOf, deployPlan, type Desired, type DeployPlan } from './handover.ts';
