export * from '../../test/emulators/emulators';
