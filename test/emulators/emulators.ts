/** The emulator harness lives with the local mesh, which runs the same emulators; tests use it from here. */
export * from '../../infra/local/emulators';
