import {
  KNOWN_COUNTRIES,
  KNOWN_REGIONS,
  countryCentroid,
  haversineKm,
  locateBackend,
  locateClient,
  regionLocation,
  type Cloud,
} from '../../shared/core/routing';
import { backend } from './fixtures';

describe('location tables', () => {
  it('cover at least 60 countries and 30 regions across all three clouds, with valid coordinates', () => {
    expect(KNOWN_COUNTRIES.length).toBeGreaterThanOrEqual(60);
    expect(KNOWN_REGIONS.length).toBeGreaterThanOrEqual(30);
    for (const cloud of ['aws', 'azure', 'gcp']) expect(KNOWN_REGIONS.filter((r) => r.startsWith(`${cloud}:`)).length).toBeGreaterThanOrEqual(10);
    for (const c of KNOWN_COUNTRIES) {
      expect(c).toMatch(/^[A-Z]{2}$/);
      const p = countryCentroid(c)!;
      expect(Math.abs(p.latitude)).toBeLessThanOrEqual(90);
      expect(Math.abs(p.longitude)).toBeLessThanOrEqual(180);
    }
    for (const key of KNOWN_REGIONS) {
      const [cloud, region] = key.split(':') as [Cloud, string];
      expect(regionLocation(cloud, region)).toBeDefined();
    }
  });

  it('places regions where their country is (sanity check of the data)', () => {
    const near = (cloud: Cloud, region: string, country: string, km: number) =>
      expect(haversineKm(regionLocation(cloud, region)!, countryCentroid(country)!)).toBeLessThan(km);
    near('aws', 'eu-central-1', 'DE', 400);
    near('azure', 'westeurope', 'NL', 150);
    near('gcp', 'asia-northeast1', 'JP', 300);
    near('aws', 'ap-southeast-2', 'AU', 3000);
    near('gcp', 'southamerica-east1', 'BR', 2000);
  });

  it('looks up case-insensitively and rejects unknown or prototype keys', () => {
    expect(countryCentroid(' fr ')).toEqual(countryCentroid('FR'));
    expect(regionLocation('aws', 'US-EAST-1')).toEqual(regionLocation('aws', 'us-east-1'));
    expect(countryCentroid('ZZ')).toBeUndefined();
    expect(countryCentroid('__proto__')).toBeUndefined();
    expect(regionLocation('gcp', 'us-east-1')).toBeUndefined();
  });

  it('prefers explicit backend coordinates and validates client coordinates', () => {
    expect(locateBackend(backend('a', { latitude: 1, longitude: 2 }))).toEqual({ latitude: 1, longitude: 2 });
    expect(locateBackend(backend('a', { region: 'nowhere' }))).toBeUndefined();
    expect(locateClient({ latitude: 91, longitude: 0 })).toBeUndefined();
    expect(locateClient({ country: 'jp' })).toEqual(countryCentroid('JP'));
    expect(locateClient(undefined)).toBeUndefined();
  });
});
