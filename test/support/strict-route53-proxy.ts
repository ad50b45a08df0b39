/** The strict Route 53 proxy moved to infra/local (the local mesh runs it too); the tests keep importing it from here. */
export * from '../../infra/local/strict-route53-proxy';
