/**
 * Static location tables for geographic routing. Coordinates are approximate (about 0.1°): good enough to
 * pick the nearest region, not for anything else.
 */
import type { Cloud, LatLon } from './types';

type Coords = readonly [latitude: number, longitude: number];

/**
 * Country centroids by ISO 3166-1 alpha-2 code (geographic centre of the territory). For large countries the
 * centroid can be far from where users are (US → Kansas); callers with better data pass lat/lon instead
 * (e.g. CloudFront-Viewer-Latitude/-Longitude).
 */
const COUNTRIES: Readonly<Record<string, Coords>> = {
  // Americas
  US: [37.09, -95.71], CA: [56.13, -106.35], MX: [23.63, -102.55], BR: [-14.24, -51.93], AR: [-38.42, -63.62],
  CL: [-35.68, -71.54], CO: [4.57, -74.3], PE: [-9.19, -75.02], VE: [6.42, -66.59], EC: [-1.83, -78.18],
  UY: [-32.52, -55.77], CR: [9.75, -83.75], PA: [8.54, -80.78], DO: [18.74, -70.16], PR: [18.22, -66.59],
  GT: [15.78, -90.23],
  // Europe
  GB: [55.38, -3.44], IE: [53.41, -8.24], FR: [46.23, 2.21], DE: [51.17, 10.45], NL: [52.13, 5.29],
  BE: [50.5, 4.47], LU: [49.82, 6.13], CH: [46.82, 8.23], AT: [47.52, 14.55], IT: [41.87, 12.57],
  ES: [40.46, -3.75], PT: [39.4, -8.22], DK: [56.26, 9.5], NO: [60.47, 8.47], SE: [60.13, 18.64],
  FI: [61.92, 25.75], IS: [64.96, -19.02], PL: [51.92, 19.15], CZ: [49.82, 15.47], SK: [48.67, 19.7],
  HU: [47.16, 19.5], RO: [45.94, 24.97], BG: [42.73, 25.49], GR: [39.07, 21.82], HR: [45.1, 15.2],
  SI: [46.15, 15.0], RS: [44.02, 21.01], EE: [58.6, 25.01], LV: [56.88, 24.6], LT: [55.17, 23.88],
  UA: [48.38, 31.17], CY: [35.13, 33.43], MT: [35.94, 14.38],
  // Middle East, Central Asia
  TR: [38.96, 35.24], RU: [61.52, 105.32], IL: [31.05, 34.85], AE: [23.42, 53.85], SA: [23.89, 45.08],
  QA: [25.35, 51.18], KW: [29.31, 47.48], BH: [25.93, 50.64], OM: [21.51, 55.92], JO: [30.59, 36.24],
  IR: [32.43, 53.69], KZ: [48.02, 66.92],
  // Africa
  EG: [26.82, 30.8], ZA: [-30.56, 22.94], NG: [9.08, 8.68], KE: [-0.02, 37.91], MA: [31.79, -7.09],
  GH: [7.95, -1.02], TN: [33.89, 9.54], ET: [9.15, 40.49],
  // Asia-Pacific
  IN: [20.59, 78.96], PK: [30.38, 69.35], BD: [23.68, 90.36], LK: [7.87, 80.77], CN: [35.86, 104.2],
  HK: [22.4, 114.11], TW: [23.7, 120.96], JP: [36.2, 138.25], KR: [35.91, 127.77], SG: [1.35, 103.82],
  MY: [4.21, 101.98], TH: [15.87, 100.99], VN: [14.06, 108.28], PH: [12.88, 121.77], ID: [-0.79, 113.92],
  AU: [-25.27, 133.78], NZ: [-40.9, 174.89],
};

/**
 * Well-known cloud regions (the city or area of the data centres), keyed `cloud:region`.
 */
const REGIONS: Readonly<Record<`${Cloud}:${string}`, Coords>> = {
  // AWS
  'aws:us-east-1': [38.9, -77.44], // N. Virginia
  'aws:us-east-2': [40.0, -83.0], // Ohio
  'aws:us-west-1': [37.35, -121.96], // N. California
  'aws:us-west-2': [45.84, -119.7], // Oregon
  'aws:ca-central-1': [45.5, -73.57], // Montréal
  'aws:sa-east-1': [-23.55, -46.63], // São Paulo
  'aws:eu-west-1': [53.35, -6.26], // Ireland
  'aws:eu-west-2': [51.51, -0.13], // London
  'aws:eu-west-3': [48.86, 2.35], // Paris
  'aws:eu-central-1': [50.11, 8.68], // Frankfurt
  'aws:eu-north-1': [59.33, 18.07], // Stockholm
  'aws:ap-northeast-1': [35.68, 139.69], // Tokyo
  'aws:ap-northeast-2': [37.57, 126.98], // Seoul
  'aws:ap-southeast-1': [1.35, 103.82], // Singapore
  'aws:ap-southeast-2': [-33.87, 151.21], // Sydney
  'aws:ap-south-1': [19.08, 72.88], // Mumbai
  // Azure
  'azure:eastus': [37.37, -79.82], // Virginia
  'azure:eastus2': [36.67, -78.39], // Virginia
  'azure:centralus': [41.59, -93.62], // Iowa
  'azure:westus': [37.78, -122.42], // California
  'azure:westus2': [47.23, -119.85], // Washington
  'azure:canadacentral': [43.65, -79.38], // Toronto
  'azure:brazilsouth': [-23.55, -46.63], // São Paulo
  'azure:northeurope': [53.35, -6.26], // Ireland
  'azure:westeurope': [52.37, 4.9], // Netherlands
  'azure:uksouth': [50.94, -0.8], // London
  'azure:francecentral': [46.38, 2.37], // Paris
  'azure:germanywestcentral': [50.11, 8.68], // Frankfurt
  'azure:swedencentral': [60.67, 17.14], // Gävle
  'azure:japaneast': [35.68, 139.77], // Tokyo
  'azure:koreacentral': [37.57, 126.98], // Seoul
  'azure:southeastasia': [1.28, 103.83], // Singapore
  'azure:australiaeast': [-33.86, 151.21], // New South Wales
  'azure:centralindia': [18.58, 73.92], // Pune
  // Google Cloud
  'gcp:us-central1': [41.26, -95.86], // Council Bluffs, Iowa
  'gcp:us-east1': [33.2, -80.01], // Moncks Corner, South Carolina
  'gcp:us-east4': [39.04, -77.49], // Ashburn, Virginia
  'gcp:us-west1': [45.6, -121.18], // The Dalles, Oregon
  'gcp:us-west2': [34.05, -118.24], // Los Angeles
  'gcp:northamerica-northeast1': [45.5, -73.57], // Montréal
  'gcp:southamerica-east1': [-23.53, -46.79], // São Paulo
  'gcp:europe-west1': [50.45, 3.82], // St. Ghislain, Belgium
  'gcp:europe-west2': [51.51, -0.13], // London
  'gcp:europe-west3': [50.11, 8.68], // Frankfurt
  'gcp:europe-west4': [53.44, 6.83], // Eemshaven, Netherlands
  'gcp:europe-north1': [60.57, 27.19], // Hamina, Finland
  'gcp:asia-east1': [24.05, 120.52], // Changhua County, Taiwan
  'gcp:asia-northeast1': [35.68, 139.69], // Tokyo
  'gcp:asia-southeast1': [1.34, 103.71], // Jurong West, Singapore
  'gcp:asia-south1': [19.08, 72.88], // Mumbai
  'gcp:australia-southeast1': [-33.87, 151.21], // Sydney
};

function lookup<K extends string>(table: Readonly<Record<K, Coords>>, key: string): LatLon | undefined {
  if (!Object.prototype.hasOwnProperty.call(table, key)) return undefined;
  const c = table[key as K];
  return { latitude: c[0], longitude: c[1] };
}

/** Centroid of a country by ISO 3166-1 alpha-2 code (case-insensitive, surrounding blanks ignored). */
export const countryCentroid = (country: string): LatLon | undefined =>
  lookup(COUNTRIES, country.trim().toUpperCase());

/** Location of a well-known region of a cloud (case-insensitive). */
export const regionLocation = (cloud: Cloud, region: string): LatLon | undefined =>
  lookup(REGIONS, `${cloud}:${region.trim().toLowerCase()}`);

export const KNOWN_COUNTRIES: readonly string[] = Object.keys(COUNTRIES);
export const KNOWN_REGIONS: readonly string[] = Object.keys(REGIONS);
