import { HardeningOptions, resolveOptions } from "./options";
import { OFFLINE_HIVE_ROOT, renderOfflineReg } from "./render-reg";
import { psq } from "./powershell";

/**
 * The runbook's offline repair as a script for the rescue VM (run by a CustomScript extension):
 * find the attached Windows volume, load its SYSTEM hive, import the baseline .reg into
 * ControlSet001, ControlSet002 and the set Select\Current names (only sets that exist), always
 * unload the hive, reset MachineKeys ACLs on that volume and enable EMS in its BCD store (BIOS
 * \boot\BCD or UEFI \EFI\Microsoft\Boot\BCD). Everything touched is backed up first; the last
 * stdout line is a JSON report.
 */
export function renderOfflineScript(options: HardeningOptions): string {
  const o = resolveOptions(options);
  const reg = renderOfflineReg(o, ["ControlSet001"]);
  if (reg.includes("'@")) throw new Error("the .reg text cannot be embedded in a here-string");
  const parts = [
    "# azure-rdp-guard offline repair (rescue VM), generated from the baseline",
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    "$Root = 'C:\\ProgramData\\azure-rdp-guard-rescue'",
    "$Backup = Join-Path $Root ('backup\\' + (Get-Date -Format 'yyyyMMdd-HHmmss'))",
    "New-Item -ItemType Directory -Path $Backup -Force | Out-Null",
    `$Hive = ${psq(OFFLINE_HIVE_ROOT.replace("HKEY_LOCAL_MACHINE", "HKLM"))}`,
    `$MachineKeys = ${o.machineKeysAcl ? "$true" : "$false"}`,
    `$SerialConsole = ${o.serialConsole ? "$true" : "$false"}`,
    "$Reg = @'",
    reg,
    "'@",
    OFFLINE_BODY,
  ];
  return parts.join("\n") + "\n";
}

const OFFLINE_BODY = String.raw`$Results = [Collections.ArrayList]@()
function Add-Result($Id, $Result, $Message) { [void]$Results.Add([ordered]@{ id = $Id; result = $Result; message = $Message }) }
$os = $null
$sets = @()
try {
  # The attached copy may come up offline; a signature collision (same image as this VM) is left alone.
  foreach ($d in @(Get-Disk | Where-Object { $_.IsOffline })) {
    if ("$($d.OfflineReason)" -match 'Collision') { throw "disk $($d.Number) is offline because its signature collides with this VM's disk; not rewriting it" }
    Set-Disk -Number $d.Number -IsOffline $false
    Set-Disk -Number $d.Number -IsReadOnly $false
  }
  $sysDisk = (Get-Partition -DriveLetter $env:SystemDrive.Substring(0, 1)).DiskNumber
  $parts = @(Get-Partition | Where-Object { $_.DiskNumber -ne $sysDisk })
  foreach ($p in $parts) {
    if (-not $p.DriveLetter -and $p.Type -ne 'Reserved') { try { $p | Add-PartitionAccessPath -AssignDriveLetter } catch { } }
  }
  $parts = @(Get-Partition | Where-Object { $_.DiskNumber -ne $sysDisk -and $_.DriveLetter })
  $candidates = @($parts | Where-Object { Test-Path ("$($_.DriveLetter):\Windows\System32\config\SYSTEM") })
  if ($candidates.Count -ne 1) { throw "expected one attached Windows volume, found $($candidates.Count)" }
  $os = "$($candidates[0].DriveLetter):"
  Add-Result 'find-volume' 'ok' $os
  $hiveFile = "$os\Windows\System32\config\SYSTEM"
  Copy-Item -LiteralPath $hiveFile -Destination (Join-Path $Backup 'SYSTEM.hive')
  & reg.exe load $Hive $hiveFile | Out-Null
  if ($LASTEXITCODE -ne 0) { throw "reg load of $hiveFile failed" }
  try {
    $current = (Get-ItemProperty -Path ('Registry::' + $Hive + '\Select')).Current
    $names = @('ControlSet001', 'ControlSet002', ('ControlSet{0:d3}' -f [int]$current)) | Select-Object -Unique
    # Only sets that exist: creating a partial set would break Last Known Good.
    $sets = @($names | Where-Object { Test-Path ('Registry::' + $Hive + '\' + $_) })
    foreach ($cs in $sets) {
      $file = Join-Path $Backup ("baseline-$cs.reg")
      $text = $Reg.Replace('\ControlSet001\', '\' + $cs + '\').Replace('\ControlSet001]', '\' + $cs + ']')
      Set-Content -LiteralPath $file -Value $text -Encoding Unicode
      & reg.exe import $file | Out-Null
      if ($LASTEXITCODE -ne 0) { throw "reg import into $cs failed" }
      Add-Result ("registry:" + $cs) 'changed' "imported $file"
    }
  } finally {
    [gc]::Collect()
    [gc]::WaitForPendingFinalizers()
    $unloaded = $false
    foreach ($i in 1..5) {
      & reg.exe unload $Hive | Out-Null
      if ($LASTEXITCODE -eq 0) { $unloaded = $true; break }
      Start-Sleep -Seconds 2
    }
    if (-not $unloaded) { Add-Result 'unload' 'failed' "could not unload $Hive" }
  }
  if ($MachineKeys) {
    $mk = "$os\ProgramData\Microsoft\Crypto\RSA\MachineKeys"
    & icacls.exe $mk /save (Join-Path $Backup 'MachineKeys.acl') /t /c | Out-Null
    & takeown.exe /f $mk /a /r /d Y | Out-Null
    foreach ($g in @('*S-1-5-18:(F)', '*S-1-5-20:(R)', '*S-1-5-32-544:(F)')) {
      & icacls.exe $mk /t /c /grant $g | Out-Null
      if ($LASTEXITCODE -ne 0) { throw "icacls grant $g failed" }
    }
    Add-Result 'machinekeys-acl' 'changed' $mk
  }
  if ($SerialConsole) {
    $bcd = @($parts | ForEach-Object { "$($_.DriveLetter):\boot\BCD"; "$($_.DriveLetter):\EFI\Microsoft\Boot\BCD" } | Where-Object { Test-Path -LiteralPath $_ }) | Select-Object -First 1
    if (-not $bcd) { throw 'no BCD store (\boot\BCD or \EFI\Microsoft\Boot\BCD) on the attached disk' }
    & bcdedit.exe /store $bcd /export (Join-Path $Backup 'bcd.bak') | Out-Null
    $cmds = @(@('/set', '{bootmgr}', 'displaybootmenu', 'yes'), @('/set', '{bootmgr}', 'timeout', '5'), @('/set', '{bootmgr}', 'bootems', 'yes'), @('/ems', '{default}', 'on'), @('/emssettings', 'EMSPORT:1', 'EMSBAUDRATE:115200'))
    foreach ($c in $cmds) {
      & bcdedit.exe /store $bcd @c | Out-Null
      if ($LASTEXITCODE -ne 0) { throw "bcdedit /store $bcd $($c -join ' ') failed" }
    }
    Add-Result 'serial-console' 'changed' $bcd
  }
} catch {
  Add-Result 'offline-repair' 'failed' $_.Exception.Message
}
$failed = @($Results | Where-Object { $_.result -eq 'failed' }).Count
Write-Output ([ordered]@{ tool = 'azure-rdp-guard'; mode = 'offline'; osVolume = $os; controlSets = $sets; backup = $Backup; failed = $failed; results = $Results } | ConvertTo-Json -Depth 4 -Compress)
exit [int]($failed -gt 0)`;
