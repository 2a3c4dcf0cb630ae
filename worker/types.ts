export interface AppEnv {
  Bindings: Env;
  Variables: {
    tenantId: string;
    keyId: string;
  };
}

export const hostObjectName = (tenantId: string, hostId: string) => `${tenantId}:${hostId}`;
