// The entries of a device picker: every device the browser lists, named by its label or, where
// the browser gives none, by its kind and place ("Camera 2"), and which one is in use.

export interface DeviceOption {
  deviceId: string;
  label: string;
}

export interface DevicePicker {
  options: DeviceOption[];
  /** The device in use, '' when the list does not hold it (a select then shows nothing chosen). */
  selected: string;
}

export function devicePicker(
  devices: ReadonlyArray<{ deviceId: string; label: string }>,
  inUse: string | null,
  fallbackName: string,
): DevicePicker {
  const options: DeviceOption[] = [];
  for (const device of devices) {
    if (device.deviceId === '' || options.some((o) => o.deviceId === device.deviceId)) continue;
    options.push({
      deviceId: device.deviceId,
      label: device.label || `${fallbackName} ${options.length + 1}`,
    });
  }
  const selected = inUse !== null && options.some((o) => o.deviceId === inUse) ? inUse : '';
  return { options, selected };
}
