// Reference data every console view labels things with: administrative units and the device
// catalogue, loaded once per console visit (they change rarely).
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { type AdminUnit, units as loadUnits } from '../api/ioc-api';
import { useI18n } from '../i18n/i18n';
import { type DeviceType, deviceTypes as loadDeviceTypes } from './console-api';

export interface Reference {
  units: AdminUnit[];
  types: DeviceType[];
  /** The unit's name in the current language, or its code when unknown. */
  unitName(code: string | null): string;
  typeName(id: string): string;
  type(id: string): DeviceType | undefined;
}

const ReferenceContext = createContext<Reference | null>(null);

export function ReferenceProvider({ children }: { children: ReactNode }) {
  const { language } = useI18n();
  const [units, setUnits] = useState<AdminUnit[]>([]);
  const [types, setTypes] = useState<DeviceType[]>([]);

  useEffect(() => {
    const controller = new AbortController();
    // Labels only: without them the console still works and shows codes.
    loadUnits(controller.signal).then(
      (list) => setUnits(list.units),
      () => undefined,
    );
    loadDeviceTypes(controller.signal).then(setTypes, () => undefined);
    return () => controller.abort();
  }, []);

  const value = useMemo<Reference>(() => {
    const unitByCode = new Map(units.map((u) => [u.code, u]));
    const typeById = new Map(types.map((t) => [t.id, t]));
    return {
      units,
      types,
      unitName(code) {
        if (!code) return '';
        const unit = unitByCode.get(code);
        if (!unit) return code;
        return language === 'en'
          ? (unit.fullNameEn ?? unit.nameEn ?? unit.name)
          : (unit.fullName ?? unit.name);
      },
      typeName(id) {
        const type = typeById.get(id);
        return type ? type.name[language] : id;
      },
      type: (id) => typeById.get(id),
    };
  }, [units, types, language]);

  return <ReferenceContext.Provider value={value}>{children}</ReferenceContext.Provider>;
}

export function useReference(): Reference {
  const value = useContext(ReferenceContext);
  if (!value) throw new Error('useReference() must be used inside <ReferenceProvider>');
  return value;
}

/** Units to filter by: the top of the tree and its direct children, in tree order. */
export function filterableUnits(units: readonly AdminUnit[]): AdminUnit[] {
  return units
    .filter((u) => u.level <= 1)
    .sort((a, b) => a.level - b.level || a.name.localeCompare(b.name, 'vi'));
}
